"""The official plaid-python SDK doing what `plaid-balance check` does: can ACCOUNT_ID cover AMOUNT? exit 0 / 6."""

import os
import sys
from decimal import Decimal

import plaid
from plaid.api import plaid_api
from plaid.model.accounts_balance_get_request import AccountsBalanceGetRequest
from plaid.model.accounts_balance_get_request_options import AccountsBalanceGetRequestOptions

account_id, amount = sys.argv[1], Decimal(sys.argv[2])
keys = {"clientId": os.environ["PLAID_CLIENT_ID"], "secret": os.environ["PLAID_SECRET"]}
api = plaid_api.PlaidApi(
    plaid.ApiClient(plaid.Configuration(host=os.environ["PLAID_BASE_URL"], api_key=keys))
)
options = AccountsBalanceGetRequestOptions(account_ids=[account_id])
request = AccountsBalanceGetRequest(access_token=os.environ["PLAID_ACCESS_TOKEN"], options=options)
balances = api.accounts_balance_get(request).accounts[0].balances
available = balances.available if balances.available is not None else balances.current
print("pass" if Decimal(str(available)) >= amount else "fail")
sys.exit(0 if Decimal(str(available)) >= amount else 6)
