"""Consumer-to-merchant and person-to-person payments, receipts, history, refunds."""
