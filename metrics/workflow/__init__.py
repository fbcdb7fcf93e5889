"""
The publication workflow: one home for the rules (`policy`), the steps that
follow them (`steps`), the region scopes they use (`scope`) and the public
revision history they keep (`history`). See `policy` for the rules.
"""
