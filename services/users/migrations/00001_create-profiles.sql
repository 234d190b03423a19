-- Profiles: who a person is. The id is the auth service's account id; nothing else from the
-- auth side (email, roles, status) is stored here.
CREATE TABLE profiles (
  id          uuid PRIMARY KEY,
  name        text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
  bio         text CHECK (char_length(bio) <= 500),
  avatar_url  text CHECK (avatar_url LIKE 'https://%'),
  locale      text,
  timezone    text,
  version     integer NOT NULL DEFAULT 1,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Serves both the case-insensitive prefix search (LIKE 'abc%' needs a C-collated or
-- text_pattern_ops key) and the keyset pagination order (lower(name), id).
CREATE INDEX profiles_name_search ON profiles ((lower(name) COLLATE "C"), id);
