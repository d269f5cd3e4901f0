"""Past manual protocols (Protocol No. 6 documents) imported as historical campaigns."""
