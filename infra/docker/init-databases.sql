-- One database per service (DESIGN.md: no service reads another's tables).
CREATE DATABASE profiles;
CREATE DATABASE opportunities;
CREATE DATABASE matching;
CREATE DATABASE events;
CREATE DATABASE notifications;
