"""Widgets shared by screens: prompts, pickers and the live PRISMA panel."""
