from collections import Counter

from wattprint.tasks.study import STUDY_BATCH_SIZE, STUDY_N, STUDY_REPEATS, study_jobs


def test_the_study_grid_is_312_jobs():
    jobs = study_jobs()
    assert len(jobs) == 80 * 3 + 8 * 3 * 3 == 312
    modes = Counter(j.mode for j in jobs)
    assert modes == {"task-specific": 240, "zero-shot": 72}
    assert len({(j.task, j.model, j.dataset) for j in jobs}) == 312
    assert (STUDY_N, STUDY_REPEATS, STUDY_BATCH_SIZE) == (1000, 10, 1)


def test_job_settings():
    jobs = study_jobs()
    gen = next(j for j in jobs if j.model == "distilgpt2" and j.dataset == "wikitext")
    assert gen.generation == {"max_new_tokens": 10, "min_new_tokens": 10} and gen.family is None
    bloomz = next(j for j in jobs if j.model == "bigscience/bloomz-7b1" and j.dataset == "xsum")
    assert bloomz.mode == "zero-shot" and bloomz.family == "causal"
    assert bloomz.generation == {"max_new_tokens": 65} and bloomz.parameters == 7_000_000_000
    t5 = next(j for j in jobs if j.model == "google/flan-t5-base" and j.dataset == "imdb")
    assert t5.generation == {"max_length": 20} and t5.task == "text-classification"


def test_recipes_jobs_tasks_and_examples_pickle():
    """The harness runs each job in its own process: everything it may send must pickle."""
    import pickle

    from wattprint.tasks.inputs import load_examples
    from wattprint.tasks.registry import list_tasks
    from wattprint.tasks.study_datasets import STUDY_RECIPES

    assert pickle.loads(pickle.dumps(STUDY_RECIPES)) == STUDY_RECIPES
    assert pickle.loads(pickle.dumps(study_jobs())) == study_jobs()
    for task in list_tasks()[:10]:
        pickle.loads(pickle.dumps((task, load_examples(task, "builtin", n=1))))
