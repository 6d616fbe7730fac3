"""The referral_hub test suite."""
