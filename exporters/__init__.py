"""Exporters: programme theory graphs, methods tables, PRISMA diagrams and PPI packs."""
