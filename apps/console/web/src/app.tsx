import { useEffect, useState } from "preact/hooks";
import { api } from "./api.js";
import { ApprovalsPage } from "./approvals/approvals-page.js";
import { useRoute } from "./route.js";
import { RunsPage } from "./runs/runs-page.js";
import type { Me } from "./types.js";

/** The console: sign-in, then runs and approvals. Roles come from the approver (`/v1/me`). */
export function App() {
  const route = useRoute();
  const [me, setMe] = useState<Me | null>(null);
  const [checking, setChecking] = useState(!!api.token);
  const [error, setError] = useState<string | null>(null);

  const signIn = async (token: string) => {
    api.token = token;
    setChecking(true);
    try {
      setMe(await api.json<Me>("approver", "/v1/me"));
      setError(null);
    } catch (e) {
      api.token = "";
      setMe(null);
      setError(`Sign-in failed: ${(e as Error).message}`);
    } finally {
      setChecking(false);
    }
  };
  useEffect(() => {
    if (api.token) void signIn(api.token);
  }, []);

  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <h1>pyfleet console</h1>
        {me && (
          <>
            <nav aria-label="Sections">
              <a href="#/runs" aria-current={route.page === "runs" ? "page" : undefined}>
                Runs
              </a>
              <a href="#/approvals" aria-current={route.page === "approvals" ? "page" : undefined}>
                Approvals
              </a>
            </nav>
            <span id="who">
              {me.identity} ({me.roles.join(", ")})
            </span>
            <button
              type="button"
              onClick={() => {
                api.token = "";
                setMe(null);
              }}
            >
              Sign out
            </button>
          </>
        )}
      </header>
      <main id="main">
        {!me ? (
          <SignIn onSubmit={signIn} error={error} busy={checking} />
        ) : route.page === "approvals" ? (
          <ApprovalsPage selected={route.approvalId} me={me} />
        ) : (
          <RunsPage selected={route.runId} />
        )}
      </main>
    </>
  );
}

function SignIn({ onSubmit, error, busy }: { onSubmit: (t: string) => void; error: string | null; busy: boolean }) {
  const [token, setToken] = useState("");
  return (
    <section class="signin" aria-labelledby="h-signin">
      <h2 id="h-signin">Sign in</h2>
      <form
        id="signin-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (token.trim()) onSubmit(token.trim());
        }}
      >
        <label>
          Token
          <input id="token" type="password" autocomplete="off" required value={token} onInput={(e) => setToken(e.currentTarget.value)} />
        </label>
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
      {error && (
        <p class="err" role="alert" id="signin-error">
          {error}
        </p>
      )}
      <p class="muted">Use a token from approver.tokens (viewer, approver or admin); `pyfleet dev` prints one.</p>
    </section>
  );
}
