"""The police extract (户籍数据): the first source, which creates households and
persons. Stages: ``judge`` (one row), ``load`` (match and load one chunk of
households), ``run`` (the job: stage, load, check and finish)."""
