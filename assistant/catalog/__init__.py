"""Catalogue exchange with suppliers' and buyers' systems (BMEcat import and export).

Built on today's catalogue files (``knowledge/products*.csv`` read by the retrieval loaders and
``assistant.commerce.catalog``); when the single catalogue of issue 15 lands, the importer feeds it instead.
"""
