-- Demo data set: universities (the tenants) and their departments, students, courses, enrollments.
-- Every tenant table has university_id (the distribution column under Citus) leading its primary key.
-- Foreign keys come in 003, after 002 has distributed the tables (Citus needs that order).
CREATE TABLE IF NOT EXISTS universities (
  university_id integer PRIMARY KEY,
  name          text NOT NULL UNIQUE,
  city          text,
  country       text,
  founded_year  integer CHECK (founded_year BETWEEN 1000 AND 2100),
  created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS departments (
  university_id integer NOT NULL,
  department_id integer NOT NULL,
  name          text NOT NULL,
  building      text,
  budget        numeric(14, 2),
  PRIMARY KEY (university_id, department_id)
);

CREATE TABLE IF NOT EXISTS students (
  university_id integer NOT NULL,
  student_id    bigint NOT NULL,
  department_id integer,
  first_name    text NOT NULL,
  last_name     text NOT NULL,
  email         text NOT NULL,
  enrolled_on   date NOT NULL,
  gpa           numeric(3, 2) CHECK (gpa BETWEEN 0 AND 4),
  PRIMARY KEY (university_id, student_id),
  UNIQUE (university_id, email)
);

CREATE TABLE IF NOT EXISTS courses (
  university_id integer NOT NULL,
  course_id     integer NOT NULL,
  department_id integer NOT NULL,
  code          text NOT NULL,
  title         text NOT NULL,
  credits       integer NOT NULL CHECK (credits BETWEEN 1 AND 10),
  PRIMARY KEY (university_id, course_id),
  UNIQUE (university_id, code)
);

CREATE TABLE IF NOT EXISTS enrollments (
  university_id integer NOT NULL,
  student_id    bigint NOT NULL,
  course_id     integer NOT NULL,
  term          text NOT NULL,
  grade         text CHECK (grade IN ('A', 'B', 'C', 'D', 'F', 'P', 'W')),
  enrolled_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (university_id, student_id, course_id, term)
);
