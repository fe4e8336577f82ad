from qa.answer.markers import parse_draft


def parsed(text: str) -> list[tuple[str, list[int]]]:
    return [(s.text, s.sources) for s in parse_draft(text)]


def test_markers_in_their_common_shapes() -> None:
    assert parsed("Four died [1]. Kurti spoke. [2]") == [("Four died.", [1]),
                                                              ("Kurti spoke.", [2])]
    assert parsed("A fact [1, 3] and more [2-4].") == [("A fact and more.", [1, 3, 2, 3, 4])]
    assert parsed("It rained (see [1], [2]).") == [("It rained.", [1, 2])]
    assert parsed("It rained [ 1 ].\nSources: [1] [2]") == [("It rained.", [1, 1, 2])]
    assert parsed("No markers here.") == [("No markers here.", [])]


def test_years_and_source_lists_are_not_markers() -> None:
    assert parsed("Kosovo declared independence in [2008] [1].") == [
        ("Kosovo declared independence in [2008].", [1])]
    assert parsed("It rained [1]. See [2] for details.") == [("It rained.", [1, 2])]
    assert parsed("It rained [[1]]. Source: [2].") == [("It rained.", [1, 2])]
    assert parsed("It rained[^1].") == [("It rained.", [1])]


def test_a_vacuous_according_to_the_sources_is_dropped() -> None:
    assert parsed("According to the sources, four people died [1].") == [
        ("Four people died.", [1])]
    assert parsed("Based on the provided articles, it rained [2].") == [("It rained.", [2])]
    # the 0.5B wrote a marker as the source: "According to, Russia responded …" was shown
    assert parsed("According to [3], Russia responded by deploying forces.") == [
        ("Russia responded by deploying forces.", [3])]
    assert parsed("According to [3][4], it rained.") == [("It rained.", [3, 4])]
    # a real attribution stays
    assert parsed("According to Kurti, Serbia is to blame [1].") == [
        ("According to Kurti, Serbia is to blame.", [1])]
    assert parsed("According to the source's author, it rained [1].") == [
        ("According to the source's author, it rained.", [1])]
