"""The official plaid-python SDK fetching many Items one after another (the naive loop batch replaces).

Usage: sdk_loop.py TOKENS_FILE (one access token a line). Prints {"items", "seconds"} as JSON; the time
covers the loop only, not the imports, which flatters the SDK a little.
"""

import json
import os
import sys
import time
from pathlib import Path

import plaid
from plaid.api import plaid_api
from plaid.model.accounts_balance_get_request import AccountsBalanceGetRequest

tokens = Path(sys.argv[1]).read_text().split()
keys = {"clientId": os.environ["PLAID_CLIENT_ID"], "secret": os.environ["PLAID_SECRET"]}
api = plaid_api.PlaidApi(
    plaid.ApiClient(plaid.Configuration(host=os.environ["PLAID_BASE_URL"], api_key=keys))
)
started = time.perf_counter()
for token in tokens:
    api.accounts_balance_get(AccountsBalanceGetRequest(access_token=token))
print(json.dumps({"items": len(tokens), "seconds": time.perf_counter() - started}))
