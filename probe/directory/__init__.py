"""The directory of organisations: parsing published contacts and importing directories."""
