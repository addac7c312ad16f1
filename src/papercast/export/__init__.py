"""Exports of a rendered issue: Substack HTML, email (.eml + SMTP), podcast RSS, site, notes."""
