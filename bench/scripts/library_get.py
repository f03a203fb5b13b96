"""plaid-balance as a library: one real-time balance fetch, the total printed."""

import os
import sys

from plaid_balance import get_balances

report = get_balances(os.environ["PLAID_ACCESS_TOKEN"], base_url=os.environ["PLAID_BASE_URL"])
if not report.success:
    sys.exit(f"failed: {report}")
print(report.item_id, report.total_balance)
