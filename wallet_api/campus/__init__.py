"""Campus codes: a campus e-card whose dynamic payment code is made offline on the student's phone.

- `models`: the tables; `errors`: problem types; `rules`: limits, defaults, name masking
- `admin`: what a campus admin does; `cards`: what a student does with their card and phones
- `totp` (RFC 6238) and `codes`: the 18-digit code, device secrets, the verification window
- `charges`: paying by code at a till or by scanning a merchant's QR; `ratelimit`: wrong-code budgets
- `invariants`, `demo_seed`: registered with `anxin audit verify` and `anxin seed-demo` on import
"""

from wallet_api.campus import demo_seed, invariants  # noqa: F401
