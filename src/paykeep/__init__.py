"""paykeep: a self-hosted, WooshPay/Stripe-shaped payment API server."""

__version__ = "0.1.0"
API_VERSION = "2024-06-01"
