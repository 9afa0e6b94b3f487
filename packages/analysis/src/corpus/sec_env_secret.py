# writes:
# reads:
# mode: read_only
# rules: env-secrets
import os
key = os.environ["OPENAI_API_KEY"]
