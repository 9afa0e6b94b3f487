# writes:
# reads:
# mode: read_only
# rules: env-secrets
import os
print(dict(os.environ))
