from analysis.datasets import validate


def test_the_tiny_world_is_valid_curated_data(tiny_data):
    frames = validate.validate_dir(tiny_data / "curated", check_raw=False, complete=False)
    assert len(frames["countries"]) == 5
