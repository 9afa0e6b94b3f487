import { useEffect, useState } from "preact/hooks";
import { api, type Service } from "../api.js";

/**
 * An image served behind the token: fetched with the Authorization header and shown from an
 * object URL (an <img src> cannot send the header).
 */
export function AuthImage({ service, path, alt }: { service: Service; path: string; alt: string }) {
  const [src, setSrc] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let url: string | null = null;
    let live = true;
    api.blobUrl(service, path).then(
      (u) => {
        url = u;
        if (live) setSrc(u);
        else URL.revokeObjectURL(u);
      },
      (e: Error) => live && setError(e.message),
    );
    return () => {
      live = false;
      if (url) URL.revokeObjectURL(url);
    };
  }, [service, path]);
  if (error) return <p class="err">Figure {alt} could not be loaded: {error}</p>;
  if (!src) return <p class="muted">Loading {alt}…</p>;
  return <img class="figure" src={src} alt={alt} />;
}

/** A link that downloads a file served behind the token. */
export function DownloadLink({ service, path, filename, children }: { service: Service; path: string; filename: string; children: preact.ComponentChildren }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const download = async () => {
    setBusy(true);
    setError(null);
    try {
      const url = await api.blobUrl(service, path);
      const a = document.createElement("a");
      a.href = url;
      a.download = filename;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button type="button" class="link" onClick={download} disabled={busy}>
        {children}
      </button>
      {error && <span class="err"> {error}</span>}
    </>
  );
}
