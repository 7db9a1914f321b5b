DROP TABLE flags_activations;
DROP TABLE activations;
DROP TABLE flags;
