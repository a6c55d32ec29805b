"""Reports: rows and figures built from aggregate queries, then rendered to Excel and PDF."""
