"""Services: every user action as one function, one transaction, with the acting reviewer.

The CLI and the TUI call these and nothing else: no SQL and no business rules live in the UI.
"""
