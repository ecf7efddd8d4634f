-- Foreign keys and indexes of the demo tables. Under Citus every key between distributed tables
-- includes the distribution column, and departments → universities points at the reference table.
ALTER TABLE departments ADD CONSTRAINT departments_university_fk
  FOREIGN KEY (university_id) REFERENCES universities (university_id);
ALTER TABLE students ADD CONSTRAINT students_department_fk
  FOREIGN KEY (university_id, department_id) REFERENCES departments (university_id, department_id);
ALTER TABLE courses ADD CONSTRAINT courses_department_fk
  FOREIGN KEY (university_id, department_id) REFERENCES departments (university_id, department_id);
ALTER TABLE enrollments ADD CONSTRAINT enrollments_student_fk
  FOREIGN KEY (university_id, student_id) REFERENCES students (university_id, student_id);
ALTER TABLE enrollments ADD CONSTRAINT enrollments_course_fk
  FOREIGN KEY (university_id, course_id) REFERENCES courses (university_id, course_id);

CREATE INDEX IF NOT EXISTS students_department_idx ON students (university_id, department_id);
CREATE INDEX IF NOT EXISTS students_last_name_idx ON students (university_id, last_name);
CREATE INDEX IF NOT EXISTS courses_department_idx ON courses (university_id, department_id);
CREATE INDEX IF NOT EXISTS enrollments_course_idx ON enrollments (university_id, course_id);
