'''Shared objects for integration testing.'''

import os
import plaid
from plaid.api import plaid_api

# adapted: the host and the credentials are read when a client is made (conftest.py starts the emulator
# and sets these variables); upstream reads CLIENT_ID and SECRET at import and uses the Sandbox host.

def create_client():
    '''Create a new client for testing.'''
    configuration = plaid.Configuration(
        host=os.environ['PLAID_HOST'],  # adapted: was plaid.Environment.Sandbox
        api_key={
            'clientId': os.environ['CLIENT_ID'],  # adapted
            'secret': os.environ['SECRET'],  # adapted
            'plaidVersion': '2020-09-14'
        }
    )


    api_client = plaid.ApiClient(configuration)
    return plaid_api.PlaidApi(api_client)

SANDBOX_INSTITUTION = 'ins_109508'
SANDBOX_INSTITUTION_NAME = 'First Platypus Bank'

SANDBOX_INSTITUTIONS = [
    'ins_109508',
    'ins_109509',
    'ins_109510',
    'ins_109511',
    'ins_109512',
]

WEBHOOK_VERIFICATION_KEY_ID = '6c5516e1-92dc-479e-a8ff-5a51992e0001'
