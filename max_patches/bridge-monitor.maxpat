{
 "patcher": {
  "fileversion": 1,
  "appversion": {
   "major": 8,
   "minor": 5,
   "revision": 0,
   "architecture": "x64",
   "modernui": 1
  },
  "rect": [
   100,
   100,
   1120,
   360
  ],
  "boxes": [
   {
    "box": {
     "id": "c1",
     "maxclass": "comment",
     "numinlets": 1,
     "numoutlets": 0,
     "patching_rect": [
      20,
      10,
      800,
      20
     ],
     "text": "mir-bridge: ping, status, panic, tempo, inpainting, drum and instrument thresholds; prints everything the daemon sends (OSC in 127.0.0.1:9000, out 9001)"
    }
   },
   {
    "box": {
     "id": "m1",
     "maxclass": "message",
     "numinlets": 1,
     "numoutlets": 1,
     "patching_rect": [
      20,
      50,
      90,
      22
     ],
     "text": "/bridge/ping"
    }
   },
   {
    "box": {
     "id": "m2",
     "maxclass": "message",
     "numinlets": 1,
     "numoutlets": 1,
     "patching_rect": [
      120,
      50,
      100,
      22
     ],
     "text": "/bridge/status"
    }
   },
   {
    "box": {
     "id": "m3",
     "maxclass": "message",
     "numinlets": 1,
     "numoutlets": 1,
     "patching_rect": [
      230,
      50,
      90,
      22
     ],
     "text": "/bridge/panic"
    }
   },
   {
    "box": {
     "id": "m4",
     "maxclass": "message",
     "numinlets": 1,
     "numoutlets": 1,
     "patching_rect": [
      330,
      50,
      110,
      22
     ],
     "text": "/bridge/tempo $1"
    }
   },
   {
    "box": {
     "id": "n1",
     "maxclass": "number",
     "numinlets": 1,
     "numoutlets": 2,
     "patching_rect": [
      330,
      20,
      50,
      22
     ]
    }
   },
   {
    "box": {
     "id": "o1",
     "maxclass": "newobj",
     "numinlets": 1,
     "numoutlets": 0,
     "patching_rect": [
      20,
      100,
      150,
      22
     ],
     "text": "udpsend 127.0.0.1 9000"
    }
   },
   {
    "box": {
     "id": "o2",
     "maxclass": "newobj",
     "numinlets": 1,
     "numoutlets": 1,
     "patching_rect": [
      20,
      150,
      110,
      22
     ],
     "text": "udpreceive 9001"
    }
   },
   {
    "box": {
     "id": "o3",
     "maxclass": "newobj",
     "numinlets": 1,
     "numoutlets": 6,
     "patching_rect": [
      20,
      190,
      480,
      22
     ],
     "text": "route /bridge/pong /bridge/error /bridge/note /bridge/bar /bridge/audio/level"
    }
   },
   {
    "box": {
     "id": "p1",
     "maxclass": "newobj",
     "numinlets": 1,
     "numoutlets": 0,
     "patching_rect": [
      20,
      230,
      70,
      22
     ],
     "text": "print pong"
    }
   },
   {
    "box": {
     "id": "p2",
     "maxclass": "newobj",
     "numinlets": 1,
     "numoutlets": 0,
     "patching_rect": [
      100,
      230,
      75,
      22
     ],
     "text": "print error"
    }
   },
   {
    "box": {
     "id": "p3",
     "maxclass": "newobj",
     "numinlets": 1,
     "numoutlets": 0,
     "patching_rect": [
      185,
      230,
      70,
      22
     ],
     "text": "print note"
    }
   },
   {
    "box": {
     "id": "p4",
     "maxclass": "newobj",
     "numinlets": 1,
     "numoutlets": 0,
     "patching_rect": [
      265,
      230,
      65,
      22
     ],
     "text": "print bar"
    }
   },
   {
    "box": {
     "id": "p5",
     "maxclass": "newobj",
     "numinlets": 1,
     "numoutlets": 0,
     "patching_rect": [
      340,
      230,
      75,
      22
     ],
     "text": "print level"
    }
   },
   {
    "box": {
     "id": "m5",
     "maxclass": "message",
     "text": "/inpaint/gap 6 2",
     "numinlets": 1,
     "numoutlets": 1,
     "patching_rect": [
      450,
      50,
      110,
      22
     ]
    }
   },
   {
    "box": {
     "id": "m6",
     "maxclass": "message",
     "text": "/inpaint/attribute density $1",
     "numinlets": 1,
     "numoutlets": 1,
     "patching_rect": [
      570,
      50,
      190,
      22
     ]
    }
   },
   {
    "box": {
     "id": "n2",
     "maxclass": "flonum",
     "text": "",
     "numinlets": 1,
     "numoutlets": 2,
     "patching_rect": [
      570,
      20,
      50,
      22
     ]
    }
   },
   {
    "box": {
     "id": "r2",
     "maxclass": "newobj",
     "text": "route /inpaint/notes",
     "numinlets": 1,
     "numoutlets": 2,
     "patching_rect": [
      20,
      270,
      130,
      22
     ]
    }
   },
   {
    "box": {
     "id": "p6",
     "maxclass": "newobj",
     "text": "print inpainted",
     "numinlets": 1,
     "numoutlets": 0,
     "patching_rect": [
      20,
      300,
      100,
      22
     ]
    }
   },
   {
    "box": {
     "id": "n3",
     "maxclass": "flonum",
     "text": "",
     "numinlets": 1,
     "numoutlets": 2,
     "patching_rect": [
      780,
      20,
      50,
      22
     ]
    }
   },
   {
    "box": {
     "id": "m7",
     "maxclass": "message",
     "text": "/drums/threshold $1",
     "numinlets": 1,
     "numoutlets": 1,
     "patching_rect": [
      780,
      50,
      130,
      22
     ]
    }
   },
   {
    "box": {
     "id": "m8",
     "maxclass": "message",
     "text": "/drums/threshold 0.4 hihat",
     "numinlets": 1,
     "numoutlets": 1,
     "patching_rect": [
      920,
      50,
      170,
      22
     ]
    }
   },
   {
    "box": {
     "id": "m9",
     "maxclass": "message",
     "text": "/instruments/threshold 0.4 piano",
     "numinlets": 1,
     "numoutlets": 1,
     "patching_rect": [
      1100,
      50,
      210,
      22
     ]
    }
   },
   {
    "box": {
     "id": "m10",
     "maxclass": "message",
     "text": "/drums/velocity level 40",
     "numinlets": 1,
     "numoutlets": 1,
     "patching_rect": [
      780,
      80,
      170,
      22
     ]
    }
   },
   {
    "box": {
     "id": "m11",
     "maxclass": "message",
     "text": "/drums/velocity activation",
     "numinlets": 1,
     "numoutlets": 1,
     "patching_rect": [
      960,
      80,
      170,
      22
     ]
    }
   },
   {
    "box": {
     "id": "m12",
     "maxclass": "message",
     "text": "/drums/velocity_reference hold",
     "numinlets": 1,
     "numoutlets": 1,
     "patching_rect": [
      780,
      110,
      170,
      22
     ]
    }
   },
   {
    "box": {
     "id": "m13",
     "maxclass": "message",
     "text": "/drums/velocity_reference adapt",
     "numinlets": 1,
     "numoutlets": 1,
     "patching_rect": [
      960,
      110,
      170,
      22
     ]
    }
   }
  ],
  "lines": [
   {
    "patchline": {
     "source": [
      "m1",
      0
     ],
     "destination": [
      "o1",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "m2",
      0
     ],
     "destination": [
      "o1",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "m3",
      0
     ],
     "destination": [
      "o1",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "m4",
      0
     ],
     "destination": [
      "o1",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "n1",
      0
     ],
     "destination": [
      "m4",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "o2",
      0
     ],
     "destination": [
      "o3",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "o3",
      0
     ],
     "destination": [
      "p1",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "o3",
      1
     ],
     "destination": [
      "p2",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "o3",
      2
     ],
     "destination": [
      "p3",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "o3",
      3
     ],
     "destination": [
      "p4",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "o3",
      4
     ],
     "destination": [
      "p5",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "m5",
      0
     ],
     "destination": [
      "o1",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "n2",
      0
     ],
     "destination": [
      "m6",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "m6",
      0
     ],
     "destination": [
      "o1",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "o3",
      5
     ],
     "destination": [
      "r2",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "r2",
      0
     ],
     "destination": [
      "p6",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "n3",
      0
     ],
     "destination": [
      "m7",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "m7",
      0
     ],
     "destination": [
      "o1",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "m8",
      0
     ],
     "destination": [
      "o1",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "m9",
      0
     ],
     "destination": [
      "o1",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "m10",
      0
     ],
     "destination": [
      "o1",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "m11",
      0
     ],
     "destination": [
      "o1",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "m12",
      0
     ],
     "destination": [
      "o1",
      0
     ]
    }
   },
   {
    "patchline": {
     "source": [
      "m13",
      0
     ],
     "destination": [
      "o1",
      0
     ]
    }
   }
  ]
 }
}
