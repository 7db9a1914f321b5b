DROP TABLE IF EXISTS exposure_drops;
DROP TABLE IF EXISTS conversions;
DROP TABLE IF EXISTS exposures;
DROP TABLE IF EXISTS experiments;
