"""Zero commitments: every row of reference/proofs.md §2.2 (go-commp-utils zerocomm.go)."""

from __future__ import annotations

import pytest

from pylotus.proofs import (
    ZERO_COMMITMENTS,
    InvalidPieces,
    compute_comm_d,
    node_hash,
    zero_piece_cid,
    zero_piece_commitment,
)

KIB, MIB, GIB = 1 << 10, 1 << 20, 1 << 30

# (padded size, level, hex, CID) from reference/proofs.md §2.2; CID None where the table has none.
ROWS = [
    (32, 0, "00" * 32, None),
    (64, 1, "f5a5fd42d16a20302798ef6ed309979b43003d2320d9f0e8ea9831a92759fb0b", None),
    (128, 2, "3731bb99ac689f66eef5973e4a94da188f4ddcae580724fc6f3fd60dfd488333",
     "baga6ea4seaqdomn3tgwgrh3g532zopskstnbrd2n3sxfqbze7rxt7vqn7veigmy"),
    (256, 3, "642a607ef886b004bf2c1978463ae1d4693ac0f410eb2d1b7a47fe205e5e750f",
     "baga6ea4seaqgiktap34inmaex4wbs6cghlq5i2j2yd2bb2zndn5ep7ralzphkdy"),
    (512, 4, "57a2381a28652bf47f6bef7aca679be4aede5871ab5cf3eb2c08114488cb8526",
     "baga6ea4seaqfpirydiugkk7up5v666wkm6n6jlw6lby2wxht5mwaqekerdfykjq"),
    (1 * KIB, 5, "1f7ac9595510e09ea41c460b176430bb322cd6fb412ec57cb17d989a4310372f",
     "baga6ea4seaqb66wjlfkrbye6uqoemcyxmqylwmrm235uclwfpsyx3ge2imidoly"),
    (2 * KIB, 6, "fc7e928296e516faade986b28f92d44a4f24b935485223376a799027bc18f833",
     "baga6ea4seaqpy7usqklokfx2vxuynmupslkeutzexe2uqurdg5vhtebhxqmpqmy"),
    (4 * KIB, 7, "08c47b38ee13bc43f41b915c0eed9911a26086b3ed62401bf9d58b8d19dff624",
     "baga6ea4seaqarrd3hdxbhpcd6qnzcxao5wmrditaq2z62ysadp45lc4ndhp7mja"),
    (8 * KIB, 8, "b2e47bfb11facd941f62af5c750f3ea5cc4df517d5c4f16db2b4d77baec1a32f",
     "baga6ea4seaqlfzd37mi7vtmud5rk6xdvb47kltcn6ul5lrhrnwzljv33v3a2gly"),
    (16 * KIB, 9, "f9226160c8f927bfdcc418cdf203493146008eaefb7d02194d5e548189005108",
     "baga6ea4seaqpsitbmdepsj573tcbrtpsanetcrqar2xpw7icdfgv4vebreafcca"),
    (32 * KIB, 10, "2c1a964bb90b59ebfe0f6da29ad65ae3e417724a8f7c11745a40cac1e5e74011",
     "baga6ea4seaqcyguwjo4qwwpl7yhw3iu22znohzaxojfi67arornebswb4xtuaei"),
    # go-commp-utils zerocomm.go PieceComms[13] (128·2^13 bytes).
    (1 * MIB, 15, "d99887b973573a96e11393645236c17b1f4c7034d723c7a99f709bb4da61162b", None),
    # reference/proofs.md §2.2 labels this row "1 MiB, z15", but zerocomm.go has it at PieceComms[15],
    # i.e. 128·2^15 bytes = 4 MiB, z17; the value is right, the label is not.
    (4 * MIB, 17, "84c0421ba0685a01bf795a2344064fe424bd52a9d24377b394ff4c4b4568e811",
     "baga6ea4seaqijqccdoqgqwqbx54vui2eazh6ijf5kku5eq3xwokp6tclivuoqei"),
    (8 * MIB, 18, "65f29e5d98d246c38b388cfc06db1f6b021303c5a289000bdce832a9c3ec421c",
     "baga6ea4seaqgl4u6lwmnerwdrm4iz7ag3mpwwaqtapc2fciabpooqmvjypweeha"),
    (256 * MIB, 23, "ad06853969d37d34ff08e09f56930a4ad19a89def60cbfee7e1d3381c1e71c37",
     "baga6ea4seaqk2bufhfu5g7ju74eobh2wsmfevum2rhppmdf75z7b2m4byhtryny"),
    (512 * MIB, 24, "39560e7b13a93b07a243fd2720ffa7cb3e1d2e505ab3629e79f46313512cda06",
     "baga6ea4seaqdsvqopmj2soyhujb72jza76t4wpq5fzifvm3ctz47iyytkewnubq"),
    (1 * GIB, 25, "ccc3c012f5b05e811a2bbfdd0f6833b84275b47bf229c0052a82484f3c1a5b3d",
     "baga6ea4seaqmzq6acl23axubdiv37xipnaz3qqtvwr57ekoaauviescphqnfwpi"),
    (32 * GIB, 30, "077e5fde35c50a9303a55009e3498a4ebedff39c42b710b730d8ec7ac7afa63e",
     "baga6ea4seaqao7s73y24kcutaosvacpdjgfe5pw76ooefnyqw4ynr3d2y6x2mpq"),
    (64 * GIB, 31, "e64005a6bfe3777953b8ad6ef93f0fca1049b2041654f2a411f7702799cece02",
     "baga6ea4seaqomqafu276g53zko4k23xzh4h4uecjwicbmvhsuqi7o4bhthhm4aq"),
]  # fmt: skip


@pytest.mark.parametrize("size,level,hex_root,cid", ROWS)
def test_zero_table_row(size: int, level: int, hex_root: str, cid: str | None) -> None:
    assert ZERO_COMMITMENTS[level].hex() == hex_root
    if cid is not None:
        assert zero_piece_commitment(size).hex() == hex_root
        assert str(zero_piece_cid(size)) == cid


def test_node_hash_clears_two_bits() -> None:
    # SHA256(64 zero bytes) ends in ...59fb4b; trunc254 makes the last byte 0x0b (§2.1).
    assert node_hash(bytes(32), bytes(32)).hex().endswith("59fb0b")


def test_empty_sector_comm_d() -> None:
    # RFP tests/pieces.rs test_compute_comm_d_empty: the bytes [252, 126, 146, 130, …, 248, 51].
    empty_2k = compute_comm_d(2048, [])
    assert list(empty_2k[:4]) == [252, 126, 146, 130] and list(empty_2k[-2:]) == [248, 51]
    assert compute_comm_d(128, []).hex() == ROWS[2][2]


@pytest.mark.parametrize("size", [0, 64, 100, 3000, 1 << 42])
def test_bad_zero_piece_sizes(size: int) -> None:
    with pytest.raises(InvalidPieces, match=f"got '{size}' bytes"):
        zero_piece_commitment(size)
