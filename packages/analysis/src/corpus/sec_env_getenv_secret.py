# writes:
# reads:
# mode: read_only
# rules: env-secrets
import os
token = os.getenv("GITHUB_TOKEN")
