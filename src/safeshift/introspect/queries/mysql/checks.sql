-- every CHECK constraint with its table, through TABLE_CONSTRAINTS: MySQL 8's CHECK_CONSTRAINTS has no
-- TABLE_NAME (its CHECK names are unique per database), MariaDB's has one (names unique per table only, so
-- this join also pairs a name with another table's clause: cc.* brings MariaDB's TABLE_NAME along and the
-- reader keeps only the rows where it is the constraint's own table). A JSON column's json_valid check
-- (MariaDB) is here too, named after the column.
SELECT tc.TABLE_NAME, tc.CONSTRAINT_NAME, cc.*
FROM information_schema.TABLE_CONSTRAINTS tc
JOIN information_schema.CHECK_CONSTRAINTS cc
  ON cc.CONSTRAINT_SCHEMA = tc.CONSTRAINT_SCHEMA AND cc.CONSTRAINT_NAME = tc.CONSTRAINT_NAME
WHERE tc.CONSTRAINT_SCHEMA = DATABASE() AND tc.CONSTRAINT_TYPE = 'CHECK'
ORDER BY tc.TABLE_NAME, tc.CONSTRAINT_NAME
