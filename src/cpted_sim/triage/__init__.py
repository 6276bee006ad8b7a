"""Triage of citizens' reports (issue 14): context at each report, places with a score and a
dominant physical deficit, candidate measures. Layer L5: orchestrates lighting and visibility,
no file I/O (reading reports and writing the triage report live in ``io/``)."""
