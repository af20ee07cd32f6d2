"""The demo catalogue and synthetic scale data.

`builder.seed_demo()` builds the demo catalogue (product 1994249 parsed from the
reseller's page, plus the reports in `data.py`) with generated PDFs;
`synthetic.seed_catalog()` bulk-inserts synthetic published reports for scale work.
"""
