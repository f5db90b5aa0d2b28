"""wattprint.analysis: aggregates, ratings, figures, labels and the HTML report.

Reads stored records only (:class:`~wattprint.results.schema.JobResult`), so a report can be
rebuilt on any machine from a results file.
"""
