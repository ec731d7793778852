from sync.models.changes import ChangeKind, ChangeRecord
from sync.models.peers import Nonce, ParkedItem, Peer, PeerKey, PeerRole, ReceivedItem

__all__ = ["ChangeKind", "ChangeRecord", "Nonce", "ParkedItem", "Peer", "PeerKey", "PeerRole", "ReceivedItem"]
