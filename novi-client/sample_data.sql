-- Python Novi's four sample flags and activations. Runs in SQLite, PostgreSQL and
-- MySQL/MariaDB. It replaces whatever the tables hold.
DELETE FROM flags_activations;
DELETE FROM flags;
DELETE FROM activations;

INSERT INTO activations (id, name, class_name, config) VALUES (1, 'Date Activated', 'novi.client.activations.date_time_activation.DateTimeActivation', '{"startDateTime":"11/26/2023 12:00 AM","endDateTime":"11/28/2023 12:00 AM","format": "%m/%d/%Y %I:%M %p"}');
INSERT INTO activations (id, name, class_name, config) VALUES (2, 'Random Split Activated', 'novi.client.activations.weighted_random_activation.WeightedRandomActivation', '{ "splits":[100, 0, 0], "variations":["A", "B", "C"]}');
INSERT INTO activations (id, name, class_name, config) VALUES (3, 'Combo AND Activation', 'novi.client.activations.and_activation.AndActivation', '[1,2]');
INSERT INTO activations (id, name, class_name, config) VALUES (4, 'Combo OR Activation', 'novi.client.activations.or_activation.OrActivation', '[1,2]');

INSERT INTO flags (id, name, status) VALUES (1, 'Date Activated Feature', TRUE);
INSERT INTO flags (id, name, status) VALUES (2, 'Random Variant Feature', TRUE);
INSERT INTO flags (id, name, status) VALUES (3, 'Combo AND', TRUE);
INSERT INTO flags (id, name, status) VALUES (4, 'Combo OR', TRUE);

INSERT INTO flags_activations (flag_id, activation_id) VALUES (1, 1);
INSERT INTO flags_activations (flag_id, activation_id) VALUES (2, 2);
INSERT INTO flags_activations (flag_id, activation_id) VALUES (3, 3);
INSERT INTO flags_activations (flag_id, activation_id) VALUES (4, 4);
