"""The official plaid-python SDK doing what `plaid-balance get` does: one real-time balance call, JSON out."""

import json
import os
import sys

import plaid
from plaid.api import plaid_api
from plaid.model.accounts_balance_get_request import AccountsBalanceGetRequest

keys = {"clientId": os.environ["PLAID_CLIENT_ID"], "secret": os.environ["PLAID_SECRET"]}
api = plaid_api.PlaidApi(
    plaid.ApiClient(plaid.Configuration(host=os.environ["PLAID_BASE_URL"], api_key=keys))
)
response = api.accounts_balance_get(AccountsBalanceGetRequest(access_token=os.environ["PLAID_ACCESS_TOKEN"]))
json.dump(response.to_dict(), sys.stdout, default=str)
