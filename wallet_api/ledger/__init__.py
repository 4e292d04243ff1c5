"""The money core: the ONLY code that writes balances and postings.

Public entry points: `post_transfer`, `open_account`, `cut_checkpoint`, `verify_ledger`,
`transfer_proof`. Everything else in wallet_api moves money by calling these.
"""

from wallet_api.ledger.accounts import AccountKind, SystemAccount, account_by_code, open_account
from wallet_api.ledger.models import Account, JournalCheckpoint, Posting, Transfer
from wallet_api.ledger.posting import Leg, post_transfer

__all__ = [
    "Account", "AccountKind", "JournalCheckpoint", "Leg", "Posting", "SystemAccount", "Transfer",
    "account_by_code", "open_account", "post_transfer",
]
