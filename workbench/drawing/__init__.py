"""Drawing results for both front ends: numbers, tables, the guided path, pictures, charts."""
