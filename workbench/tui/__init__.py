"""The Textual front end. It consumes events; it never imports TensorFlow at start-up."""
