"""Importers that fill the referral_hub directory from HSDS and 211 exports."""
