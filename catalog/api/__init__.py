"""REST API for the catalog: taxonomy, requirements, achievements and expert evaluation."""
