<?php
function f_27() { return 27; }
