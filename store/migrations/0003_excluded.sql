-- Schema 3: --exclude. A domain wholly excluded has the status 'skipped'; a validation files it
-- under 'excluded' and triage decides 'excluded'. Only CHECK constraints widen, so the tables are
-- edited in place (SQLite's documented way for changes that leave every stored row valid) rather
-- than copied: copying `domains` would cost the whole database, and dropping it would cascade.
-- store/schema.cpp moves the schema cookie after every migration, so the change is reparsed, and
-- checks that each edit took.
PRAGMA writable_schema = ON;
UPDATE sqlite_schema
   SET sql = replace(sql, 'OR status = ''error''),', 'OR status = ''error'' OR status = ''skipped''),')
 WHERE type = 'table' AND name = 'domains';
UPDATE sqlite_schema
   SET sql = replace(sql, 'OR category = ''passing''),', 'OR category = ''passing'' OR category = ''excluded''),')
 WHERE type = 'table' AND name = 'validation_results';
UPDATE sqlite_schema
   SET sql = replace(sql, 'OR decision = ''invalid''),', 'OR decision = ''invalid'' OR decision = ''excluded''),')
 WHERE type = 'table' AND name = 'submissions';
PRAGMA writable_schema = OFF;
