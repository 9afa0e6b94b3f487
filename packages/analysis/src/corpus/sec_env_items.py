# writes:
# reads:
# mode: read_only
# rules: env-secrets
from os import environ
for k, v in environ.items():
    print(k, v)
