<?php
function f_08() { return 8; }
