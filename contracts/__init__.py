"""Contract accounting: committed compliance per customer, monthly statements, service credits."""
