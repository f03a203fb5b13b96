"""``python -m plaid_balance``: the same as the ``plaid-balance`` command."""

from plaid_balance.cli import main

if __name__ == "__main__":
    main()
