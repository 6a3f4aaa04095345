-- every index key (the primary key and unique keys too), in key order; s.* brings the server's own columns
-- along (MySQL 8's IS_VISIBLE, MariaDB's IGNORED), read by name: an invisible index is refused by name
SELECT s.TABLE_NAME, s.INDEX_NAME, s.NON_UNIQUE, s.SEQ_IN_INDEX, s.COLUMN_NAME, s.SUB_PART, s.COLLATION,
       s.INDEX_TYPE, s.*
FROM information_schema.STATISTICS s
WHERE s.TABLE_SCHEMA = DATABASE()
ORDER BY s.TABLE_NAME, s.INDEX_NAME, s.SEQ_IN_INDEX
