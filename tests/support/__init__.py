"""Helpers the test suite shares: servers it starts and data it builds."""
