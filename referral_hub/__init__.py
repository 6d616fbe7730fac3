"""referral_hub: community referral network and closed-loop tracking platform."""

__version__ = "0.1.0"
